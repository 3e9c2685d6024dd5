DROP TABLE vads_orders;
DROP TABLE vads_events;
DROP TABLE vads_conflicts;
DROP TABLE vads_outbox;
ALTER TABLE vads_orders_next RENAME TO vads_orders;
ALTER TABLE vads_events_next RENAME TO vads_events;
ALTER TABLE vads_conflicts_next RENAME TO vads_conflicts;
ALTER TABLE vads_outbox_next RENAME TO vads_outbox;
CREATE INDEX vads_events_by_order ON vads_events (site_id, mode, order_id);
CREATE INDEX vads_outbox_pending ON vads_outbox (id) WHERE done_ms IS NULL;
CREATE INDEX vads_outbox_by_order ON vads_outbox (site_id, mode, order_id)
