"""Tests of the turnover domain: registry, imports, targets, dashboard, exports."""
