"""The Flask side of CityStat: services per app, plain routes and the /api/v1 blueprint."""
