"""AS2 (RFC 4130) receiver around pyas2lib."""
