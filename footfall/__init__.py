"""The footfall command line and the local stack that stands in for Azure on one machine."""
