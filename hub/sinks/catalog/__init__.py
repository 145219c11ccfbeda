"""The price catalog: versioned price lists and discount agreements, the as-of source for net prices."""
