"""Pure, versioned translators: raw bytes (+ partner metadata) in, canonical records out. No I/O."""
