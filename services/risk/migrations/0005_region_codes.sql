-- Regions are ISO 3166-2 codes (issue 10): what each stored value becomes is written in
-- shared/migrations/0004_legacy_region_codes.sql. A region that was free text and no known
-- name becomes NULL ("unknown"): it may have held an address.
ALTER TABLE cases ALTER COLUMN region DROP NOT NULL;
UPDATE cases SET region = legacy_region_code(region, country)
    WHERE region IS DISTINCT FROM legacy_region_code(region, country);
ALTER TABLE cases ADD CONSTRAINT cases_region_is_a_code
    CHECK (region ~ '^[A-Z]{2}-[A-Z0-9]{1,3}$' AND left(region, 2) = country);

ALTER TABLE incidents ALTER COLUMN region DROP NOT NULL;
UPDATE incidents SET region = legacy_region_code(region, country)
    WHERE region IS DISTINCT FROM legacy_region_code(region, country);
ALTER TABLE incidents ADD CONSTRAINT incidents_region_is_a_code
    CHECK (region ~ '^[A-Z]{2}-[A-Z0-9]{1,3}$' AND left(region, 2) = country);

-- Assessments are immutable for people; this one rewrite of places is not a new judgement.
ALTER TABLE assessments DISABLE TRIGGER assessments_no_update;
UPDATE assessments SET excluded_regions = legacy_excluded_regions(excluded_regions)
    WHERE excluded_regions IS DISTINCT FROM legacy_excluded_regions(excluded_regions);
ALTER TABLE assessments ENABLE TRIGGER assessments_no_update;
ALTER TABLE assessments ADD CONSTRAINT assessments_excluded_regions_are_codes
    CHECK (array_to_string(excluded_regions, ',') ~ '^([A-Z]{2}(-[A-Z0-9]{1,3})?(,|$))*$');

UPDATE outbox SET payload = legacy_scrub_event(payload)
    WHERE subject IN ('amparo.risk.case.opened', 'amparo.risk.assessment.recorded');
