"""Dash pages (one file each) and the helpers they share. No SQL and no business rules."""
