"""Pure rules of the shelters service: no I/O, no database, no HTTP; property-tested in
``tests/shelters/unit``. ``beds`` (which beds fit a party), ``matching`` (which shelter),
``lifecycle`` (placement states, holds and stays in time), ``waitlist`` (its order),
``availability`` and ``forecast`` (the arithmetic behind ``GET /availability`` and
``GET /capacity``), ``cross_border`` (the countries a bed search may cover)."""
