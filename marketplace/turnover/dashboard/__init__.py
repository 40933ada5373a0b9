"""The bureau's turnover dashboard, its statistics and exports, and the public page."""
