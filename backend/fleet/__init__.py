"""The fleet: kiosks' heartbeats in, the operators' view out (DESIGN §4.6). Counters, never people."""
