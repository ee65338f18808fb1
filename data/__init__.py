"""The demo city generator and its seed (see data/demo_city.py)."""
