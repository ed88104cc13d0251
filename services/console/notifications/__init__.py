"""What needs a person's attention, fed by the services' events: holds about to expire,
emergency applications near their deadline, cases due for a new assessment, emergency
grants waiting for ratification. Shown in the console's panel; optionally e-mailed."""
