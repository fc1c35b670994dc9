"""Authentication: passwords, signed tokens and the sessions their refresh tokens belong to."""
