"""Users, roles, organisations (firms and agencies), districts, login and API tokens."""
