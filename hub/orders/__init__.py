"""Order confirmations and pick-ups → billable rows on work orders: matching and pricing. Pure."""
