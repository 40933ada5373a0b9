"""The technology exchange (科技成果转移转化平台): results on offer, firms' demands, matching
that works for Chinese, technology brokers and the deals they broker."""
