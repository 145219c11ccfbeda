"""Pricing rules: units and price bases, net prices from lists and agreements, price control. Pure."""
