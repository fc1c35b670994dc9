"""Users: accounts with an email, a password hash, roles and an active flag."""
