"""The site shell: home page, language switch, health probes and error pages."""
