"""CityStat's domain core: periods, the warehouse, the catalogue. Imports neither dash nor flask."""
