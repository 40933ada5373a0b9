"""Rewards for registering technology contracts (技术合同登记奖补)."""
