"""Files out of CityOps for GIS users and spreadsheets: map layers and tables (issue 14)."""
