-- VERP per connected system (issue 16): true or false overrides bounces.verp.enabled for the system's deliveries;
-- NULL (every existing row) follows it.
ALTER TABLE system ADD COLUMN verp boolean;
