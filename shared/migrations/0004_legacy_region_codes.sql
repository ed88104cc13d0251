-- Regions became ISO 3166-2 codes (issue 10, finding 6: a street address typed as a region
-- travelled in events and sat in the shelters database). This file only defines helpers;
-- each service's own migration (risk, shelters: 0004_region_codes.sql) rewrites its rows.
--
-- What a stored region becomes:
--   * a name of a subdivision of Mexico or Central America (Spanish or English, with or
--     without accents, any case: "Petén", "peten", "Chiapas") -> its code (GT-17, MX-CHP);
--   * a Guatemalan code from before ISO 3166-2:2021 renumbered the departments (GT-PE) ->
--     today's (GT-17);
--   * anything else shaped like a code (AA-A to AA-AAA) is kept: six characters cannot
--     hold an address;
--   * anything else -> nothing: NULL for a case's or a shelter's region ("unknown", shown
--     as such; staff set it again), dropped from a list of excluded regions. Free text may
--     hold an address, so it is not kept anywhere.
-- The names are a snapshot of pycountry's for MX, GT, BZ, HN, SV, NI, CR and PA.

CREATE FUNCTION legacy_region_codes(place text, country text) RETURNS SETOF text
LANGUAGE sql IMMUTABLE AS $$
    WITH named AS (
        SELECT n.code FROM (VALUES
        ('belice', 'BZ-BZ'),
        ('belize', 'BZ-BZ'),
        ('cayo', 'BZ-CY'),
        ('corozal', 'BZ-CZL'),
        ('orange walk', 'BZ-OW'),
        ('stann creek', 'BZ-SC'),
        ('toledo', 'BZ-TOL'),
        ('alajuela', 'CR-A'),
        ('cartago', 'CR-C'),
        ('guanacaste', 'CR-G'),
        ('heredia', 'CR-H'),
        ('limon', 'CR-L'),
        ('limón', 'CR-L'),
        ('puntarenas', 'CR-P'),
        ('san jose', 'CR-SJ'),
        ('san josé', 'CR-SJ'),
        ('gt-gu', 'GT-01'),
        ('guatemala', 'GT-01'),
        ('el progreso', 'GT-02'),
        ('gt-pr', 'GT-02'),
        ('gt-sa', 'GT-03'),
        ('sacatepequez', 'GT-03'),
        ('sacatepéquez', 'GT-03'),
        ('chimaltenango', 'GT-04'),
        ('gt-cm', 'GT-04'),
        ('escuintla', 'GT-05'),
        ('gt-es', 'GT-05'),
        ('gt-sr', 'GT-06'),
        ('santa rosa', 'GT-06'),
        ('gt-so', 'GT-07'),
        ('solola', 'GT-07'),
        ('sololá', 'GT-07'),
        ('gt-to', 'GT-08'),
        ('totonicapan', 'GT-08'),
        ('totonicapán', 'GT-08'),
        ('gt-qz', 'GT-09'),
        ('quetzaltenango', 'GT-09'),
        ('gt-su', 'GT-10'),
        ('suchitepequez', 'GT-10'),
        ('suchitepéquez', 'GT-10'),
        ('gt-re', 'GT-11'),
        ('retalhuleu', 'GT-11'),
        ('gt-sm', 'GT-12'),
        ('san marcos', 'GT-12'),
        ('gt-hu', 'GT-13'),
        ('huehuetenango', 'GT-13'),
        ('gt-qc', 'GT-14'),
        ('quiche', 'GT-14'),
        ('quiché', 'GT-14'),
        ('baja verapaz', 'GT-15'),
        ('gt-bv', 'GT-15'),
        ('alta verapaz', 'GT-16'),
        ('gt-av', 'GT-16'),
        ('gt-pe', 'GT-17'),
        ('peten', 'GT-17'),
        ('petén', 'GT-17'),
        ('gt-iz', 'GT-18'),
        ('izabal', 'GT-18'),
        ('gt-za', 'GT-19'),
        ('zacapa', 'GT-19'),
        ('chiquimula', 'GT-20'),
        ('gt-cq', 'GT-20'),
        ('gt-ja', 'GT-21'),
        ('jalapa', 'GT-21'),
        ('gt-ju', 'GT-22'),
        ('jutiapa', 'GT-22'),
        ('atlantida', 'HN-AT'),
        ('atlántida', 'HN-AT'),
        ('choluteca', 'HN-CH'),
        ('colon', 'HN-CL'),
        ('colón', 'HN-CL'),
        ('comayagua', 'HN-CM'),
        ('copan', 'HN-CP'),
        ('copán', 'HN-CP'),
        ('cortes', 'HN-CR'),
        ('cortés', 'HN-CR'),
        ('el paraiso', 'HN-EP'),
        ('el paraíso', 'HN-EP'),
        ('francisco morazan', 'HN-FM'),
        ('francisco morazán', 'HN-FM'),
        ('gracias a dios', 'HN-GD'),
        ('islas de la bahia', 'HN-IB'),
        ('islas de la bahía', 'HN-IB'),
        ('intibuca', 'HN-IN'),
        ('intibucá', 'HN-IN'),
        ('lempira', 'HN-LE'),
        ('la paz', 'HN-LP'),
        ('ocotepeque', 'HN-OC'),
        ('olancho', 'HN-OL'),
        ('santa barbara', 'HN-SB'),
        ('santa bárbara', 'HN-SB'),
        ('valle', 'HN-VA'),
        ('yoro', 'HN-YO'),
        ('aguascalientes', 'MX-AGU'),
        ('baja california', 'MX-BCN'),
        ('baja california sur', 'MX-BCS'),
        ('campeche', 'MX-CAM'),
        ('chihuahua', 'MX-CHH'),
        ('chiapas', 'MX-CHP'),
        ('ciudad de mexico', 'MX-CMX'),
        ('ciudad de méxico', 'MX-CMX'),
        ('coahuila de zaragoza', 'MX-COA'),
        ('colima', 'MX-COL'),
        ('durango', 'MX-DUR'),
        ('guerrero', 'MX-GRO'),
        ('guanajuato', 'MX-GUA'),
        ('hidalgo', 'MX-HID'),
        ('jalisco', 'MX-JAL'),
        ('mexico', 'MX-MEX'),
        ('méxico', 'MX-MEX'),
        ('michoacan de ocampo', 'MX-MIC'),
        ('michoacán de ocampo', 'MX-MIC'),
        ('morelos', 'MX-MOR'),
        ('nayarit', 'MX-NAY'),
        ('nuevo leon', 'MX-NLE'),
        ('nuevo león', 'MX-NLE'),
        ('oaxaca', 'MX-OAX'),
        ('puebla', 'MX-PUE'),
        ('queretaro', 'MX-QUE'),
        ('querétaro', 'MX-QUE'),
        ('quintana roo', 'MX-ROO'),
        ('sinaloa', 'MX-SIN'),
        ('san luis potosi', 'MX-SLP'),
        ('san luis potosí', 'MX-SLP'),
        ('sonora', 'MX-SON'),
        ('tabasco', 'MX-TAB'),
        ('tamaulipas', 'MX-TAM'),
        ('tlaxcala', 'MX-TLA'),
        ('veracruz de ignacio de la llave', 'MX-VER'),
        ('yucatan', 'MX-YUC'),
        ('yucatán', 'MX-YUC'),
        ('zacatecas', 'MX-ZAC'),
        ('costa caribe norte', 'NI-AN'),
        ('costa caribe sur', 'NI-AS'),
        ('boaco', 'NI-BO'),
        ('carazo', 'NI-CA'),
        ('chinandega', 'NI-CI'),
        ('chontales', 'NI-CO'),
        ('esteli', 'NI-ES'),
        ('estelí', 'NI-ES'),
        ('granada', 'NI-GR'),
        ('jinotega', 'NI-JI'),
        ('leon', 'NI-LE'),
        ('león', 'NI-LE'),
        ('madriz', 'NI-MD'),
        ('managua', 'NI-MN'),
        ('masaya', 'NI-MS'),
        ('matagalpa', 'NI-MT'),
        ('nueva segovia', 'NI-NS'),
        ('rivas', 'NI-RI'),
        ('rio san juan', 'NI-SJ'),
        ('río san juan', 'NI-SJ'),
        ('bocas del toro', 'PA-1'),
        ('panama oeste', 'PA-10'),
        ('panamá oeste', 'PA-10'),
        ('cocle', 'PA-2'),
        ('coclé', 'PA-2'),
        ('colon', 'PA-3'),
        ('colón', 'PA-3'),
        ('chiriqui', 'PA-4'),
        ('chiriquí', 'PA-4'),
        ('darien', 'PA-5'),
        ('darién', 'PA-5'),
        ('herrera', 'PA-6'),
        ('los santos', 'PA-7'),
        ('panama', 'PA-8'),
        ('panamá', 'PA-8'),
        ('veraguas', 'PA-9'),
        ('embera', 'PA-EM'),
        ('emberá', 'PA-EM'),
        ('guna yala', 'PA-KY'),
        ('ngabe-bugle', 'PA-NB'),
        ('ngäbe-buglé', 'PA-NB'),
        ('naso tjer di', 'PA-NT'),
        ('naso tjër di', 'PA-NT'),
        ('ahuachapan', 'SV-AH'),
        ('ahuachapán', 'SV-AH'),
        ('cabanas', 'SV-CA'),
        ('cabañas', 'SV-CA'),
        ('chalatenango', 'SV-CH'),
        ('cuscatlan', 'SV-CU'),
        ('cuscatlán', 'SV-CU'),
        ('la libertad', 'SV-LI'),
        ('morazan', 'SV-MO'),
        ('morazán', 'SV-MO'),
        ('la paz', 'SV-PA'),
        ('santa ana', 'SV-SA'),
        ('san miguel', 'SV-SM'),
        ('sonsonate', 'SV-SO'),
        ('san salvador', 'SV-SS'),
        ('san vicente', 'SV-SV'),
        ('la union', 'SV-UN'),
        ('la unión', 'SV-UN'),
        ('usulutan', 'SV-US'),
        ('usulután', 'SV-US')
        ) AS n(name_key, code)
        WHERE n.name_key = lower(btrim(place)) AND (country IS NULL OR left(n.code, 2) = country)
    )
    SELECT code FROM named
    UNION
    SELECT place WHERE NOT EXISTS (SELECT 1 FROM named)
        AND place ~ '^[A-Z]{2}-[A-Z0-9]{1,3}$' AND (country IS NULL OR left(place, 2) = country)
    UNION
    -- An exclusion may name a whole country by its code.
    SELECT place WHERE country IS NULL AND place ~ '^[A-Z]{2}$'
$$;

-- A case's or a shelter's region: its one code in ``country``, or NULL.
CREATE FUNCTION legacy_region_code(place text, country text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN count(*) = 1 THEN min(c) END FROM legacy_region_codes(place, country) AS c
$$;

-- A list of excluded regions: every code each entry may mean (a name shared by two
-- countries excludes both: the safe side), in the order given, without repeats.
CREATE FUNCTION legacy_excluded_regions(places text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_agg(code ORDER BY first), '{}') FROM (
        SELECT c AS code, min(o) AS first
        FROM unnest(places) WITH ORDINALITY AS u(place, o), legacy_region_codes(u.place, NULL) AS c
        GROUP BY c
    ) AS s
$$;

-- An event still in the outbox (published ones are kept for a while too): its region,
-- excluded regions and the region named in a placement's reason, rewritten the same way.
CREATE FUNCTION legacy_scrub_event(payload bytea) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    ev jsonb := convert_from(payload, 'UTF8')::jsonb;
    data jsonb := ev -> 'data';
    region text;
BEGIN
    IF data ? 'region' THEN
        region := legacy_region_code(data ->> 'region', data ->> 'country');
        data := jsonb_set(data, '{region}', coalesce(to_jsonb(region), 'null'::jsonb));
        IF data ? 'reason' THEN
            data := jsonb_set(data, '{reason}', to_jsonb(regexp_replace(
                data ->> 'reason', 'region=[^;]*', 'region=' || coalesce(region, 'unknown'))));
        END IF;
    END IF;
    IF jsonb_typeof(data -> 'excluded_regions') = 'array' THEN
        data := jsonb_set(data, '{excluded_regions}', to_jsonb(legacy_excluded_regions(
            ARRAY(SELECT jsonb_array_elements_text(data -> 'excluded_regions')))));
    END IF;
    RETURN convert_to(jsonb_set(ev, '{data}', data)::text, 'UTF8');
END $$;
