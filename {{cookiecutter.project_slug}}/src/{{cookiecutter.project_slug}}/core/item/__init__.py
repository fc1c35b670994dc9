"""Items: the example resource. Copy this package's anatomy for your own resources."""
