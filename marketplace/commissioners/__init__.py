"""Science and technology commissioners (科技特派员)."""
