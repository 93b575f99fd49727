-- The incident log and its checkpoints are append-only: the database itself refuses to change
-- or remove a row, whatever the application does. Someone who can disable triggers (a superuser
-- or the table owner) can still edit rows; the hash chain and signed checkpoints exist to catch
-- that (docs/trust-model.md).
CREATE FUNCTION vigiles_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
		USING ERRCODE = 'insufficient_privilege';
END
$$;
--> statement-breakpoint
CREATE TRIGGER incident_log_append_only BEFORE UPDATE OR DELETE ON incident_log
	FOR EACH ROW EXECUTE FUNCTION vigiles_refuse_change();
--> statement-breakpoint
CREATE TRIGGER incident_log_no_truncate BEFORE TRUNCATE ON incident_log
	FOR EACH STATEMENT EXECUTE FUNCTION vigiles_refuse_change();
--> statement-breakpoint
CREATE TRIGGER incident_checkpoints_append_only BEFORE UPDATE OR DELETE ON incident_checkpoints
	FOR EACH ROW EXECUTE FUNCTION vigiles_refuse_change();
--> statement-breakpoint
CREATE TRIGGER incident_checkpoints_no_truncate BEFORE TRUNCATE ON incident_checkpoints
	FOR EACH STATEMENT EXECUTE FUNCTION vigiles_refuse_change();
