"""The scale-out load benchmark's parts: site file, simulated chargers, load processes, nodes, run."""
