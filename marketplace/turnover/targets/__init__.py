"""The yearly turnover targets of the city and its districts."""
