"""The cases shelters knows of: a projection (id, country, status) of risk's events, so a
placement by hand is made only for a real case, by staff of its country."""
