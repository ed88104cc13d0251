-- Shelters, rooms, beds, placements and the bed allocations that make double booking impossible.

CREATE TABLE shelters (
    id uuid PRIMARY KEY,
    code text NOT NULL UNIQUE,
    kind text NOT NULL
        CHECK (kind IN ('shelter', 'safe_house', 'self_care_centre', 'hostel', 'halfway_house')),
    country char(2) NOT NULL,
    region text NOT NULL,
    accepts text[] NOT NULL DEFAULT '{}',
    accessible boolean NOT NULL DEFAULT false,
    services text[] NOT NULL DEFAULT '{}',
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'compromised')),
    -- {address, contact}, AES-GCM with aad = shelter id bytes; only coordinators read it.
    confidential bytea NOT NULL,
    -- The compromise reason may name people or places: encrypted like the address.
    compromise_reason bytea,
    compromised_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX shelters_country_status ON shelters (country, status);

CREATE TABLE rooms (
    id uuid PRIMARY KEY,
    shelter_id uuid NOT NULL REFERENCES shelters (id),
    name text NOT NULL,
    UNIQUE (shelter_id, name)
);

CREATE TABLE beds (
    id uuid PRIMARY KEY,
    shelter_id uuid NOT NULL REFERENCES shelters (id),
    room_id uuid NOT NULL REFERENCES rooms (id),
    label text NOT NULL,
    child_sized boolean NOT NULL DEFAULT false,
    accessible boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (room_id, label)
);
CREATE INDEX beds_shelter ON beds (shelter_id);

CREATE TABLE placements (
    id uuid PRIMARY KEY,
    case_id uuid NOT NULL,
    -- Where the case comes from (not where the shelter is).
    country char(2) NOT NULL,
    region text NOT NULL,
    adults integer NOT NULL CHECK (adults BETWEEN 1 AND 20),
    children_ages integer[] NOT NULL DEFAULT '{}',
    accessibility_needs text[] NOT NULL DEFAULT '{}',
    level text NOT NULL CHECK (level IN ('low', 'medium', 'high', 'extreme')),
    level_rank smallint NOT NULL,
    excluded_regions text[] NOT NULL DEFAULT '{}',
    stay_days integer NOT NULL DEFAULT 30 CHECK (stay_days BETWEEN 1 AND 365),
    status text NOT NULL DEFAULT 'requested'
        CHECK (status IN ('requested', 'held', 'confirmed', 'checked_in', 'ended', 'cancelled', 'expired')),
    shelter_id uuid REFERENCES shelters (id),
    hold_expires_at timestamptz,
    starts_at timestamptz,
    expected_end timestamptz,
    reason text NOT NULL DEFAULT '',
    relocation_of uuid REFERENCES placements (id),
    needs_relocation boolean NOT NULL DEFAULT false,
    waitlisted boolean NOT NULL DEFAULT false,
    source text NOT NULL DEFAULT 'api',
    assessment_id uuid,
    requested_at timestamptz NOT NULL DEFAULT now(),
    held_at timestamptz,
    confirmed_at timestamptz,
    checked_in_at timestamptz,
    ended_at timestamptz,
    end_reason text,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (status = 'requested' OR status IN ('cancelled', 'expired') OR shelter_id IS NOT NULL)
);
-- One active placement per case; a placement waiting to be relocated steps aside for its
-- relocation (the family stays where it is until the new place is ready).
CREATE UNIQUE INDEX placements_one_active_per_case ON placements (case_id)
    WHERE status IN ('requested', 'held', 'confirmed', 'checked_in') AND NOT needs_relocation;
CREATE INDEX placements_waitlist ON placements (level_rank DESC, requested_at) WHERE status = 'requested';
CREATE INDEX placements_hold_expiry ON placements (hold_expires_at) WHERE status = 'held';
CREATE INDEX placements_shelter_active ON placements (shelter_id)
    WHERE status IN ('held', 'confirmed', 'checked_in');
CREATE INDEX placements_case ON placements (case_id);

-- A bed is taken for a time range by a placement or by an out-of-service period. Only
-- active rows take part in the exclusion; freeing a bed closes or deactivates its row,
-- so past stays never slow down availability queries (the indexes below skip them).
CREATE TABLE bed_allocations (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bed_id uuid NOT NULL REFERENCES beds (id),
    shelter_id uuid NOT NULL REFERENCES shelters (id),
    placement_id uuid REFERENCES placements (id),
    kind text NOT NULL CHECK (kind IN ('placement', 'out_of_service')),
    out_of_service_reason text,
    during tstzrange NOT NULL CHECK (NOT isempty(during) AND lower(during) IS NOT NULL AND upper(during) IS NOT NULL),
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'placement') = (placement_id IS NOT NULL)),
    CONSTRAINT bed_allocations_no_double_booking
        EXCLUDE USING gist (bed_id WITH =, during WITH &&) WHERE (active)
);
-- Availability probes each bed through the exclusion constraint's own index (bed_id, during);
-- capacity reads the active rows of the next 14 days through this one.
CREATE INDEX bed_allocations_active_during ON bed_allocations USING gist (during) WHERE active;
CREATE INDEX bed_allocations_placement ON bed_allocations (placement_id) WHERE active;
