"""Technology-contract turnover: the registry, imports, targets, dashboard and exports."""
