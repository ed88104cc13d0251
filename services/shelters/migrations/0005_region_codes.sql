-- Regions are ISO 3166-2 codes (issue 10): what each stored value becomes is written in
-- shared/migrations/0004_legacy_region_codes.sql. A region that was free text and no known
-- name becomes NULL ("unknown"): it may have held an address. A shelter left without a
-- region is still matched (it is never "in" an excluded region it cannot be placed in by
-- name), and its coordinator should record the shelter's region again.
ALTER TABLE shelters ALTER COLUMN region DROP NOT NULL;
UPDATE shelters SET region = legacy_region_code(region, country)
    WHERE region IS DISTINCT FROM legacy_region_code(region, country);
ALTER TABLE shelters ADD CONSTRAINT shelters_region_is_a_code
    CHECK (region ~ '^[A-Z]{2}-[A-Z0-9]{1,3}$' AND left(region, 2) = country);

ALTER TABLE placements ALTER COLUMN region DROP NOT NULL;
UPDATE placements SET region = legacy_region_code(region, country)
    WHERE region IS DISTINCT FROM legacy_region_code(region, country);
ALTER TABLE placements ADD CONSTRAINT placements_region_is_a_code
    CHECK (region ~ '^[A-Z]{2}-[A-Z0-9]{1,3}$' AND left(region, 2) = country);
UPDATE placements SET excluded_regions = legacy_excluded_regions(excluded_regions)
    WHERE excluded_regions IS DISTINCT FROM legacy_excluded_regions(excluded_regions);
ALTER TABLE placements ADD CONSTRAINT placements_excluded_regions_are_codes
    CHECK (array_to_string(excluded_regions, ',') ~ '^([A-Z]{2}(-[A-Z0-9]{1,3})?(,|$))*$');
-- Why a shelter was chosen names its region: the shelter's, as it is now.
UPDATE placements p SET reason = regexp_replace(p.reason, 'region=[^;]*', 'region=' || coalesce(s.region, 'unknown'))
    FROM shelters s WHERE s.id = p.shelter_id AND p.reason LIKE '%region=%';

UPDATE outbox SET payload = legacy_scrub_event(payload)
    WHERE subject IN ('amparo.shelters.placement.requested', 'amparo.shelters.placement.held',
                      'amparo.shelters.shelter.compromised');
