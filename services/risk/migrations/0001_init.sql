-- The risk schema starts here; domain tables follow in the next files.
SELECT 1;
