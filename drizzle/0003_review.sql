CREATE TABLE "checklist_templates" (
	"kind" text PRIMARY KEY NOT NULL,
	"items" jsonb NOT NULL,
	"updated_by" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "incident_search" (
	"incident_id" uuid PRIMARY KEY NOT NULL,
	"body" text NOT NULL,
	"document" "tsvector" NOT NULL,
	"closed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "checklist_templates" ADD CONSTRAINT "checklist_templates_updated_by_users_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incident_search" ADD CONSTRAINT "incident_search_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "incident_search_document_idx" ON "incident_search" USING gin ("document");--> statement-breakpoint
CREATE INDEX "incident_log_records_idx" ON "incident_log" USING btree ("incident_id","seq") WHERE "incident_log"."type" in ('evidence.added', 'evidence.transferred', 'evidence.sealed', 'role.assigned', 'action.taken', 'incident.closed', 'incident.reopened');