-- Runs once, when the db volume is empty (postgres image's /docker-entrypoint-initdb.d).
-- A small shop schema with 1000 seeded orders.
CREATE TABLE orders (
    id          serial PRIMARY KEY,
    customer    text        NOT NULL,
    amount_cents integer    NOT NULL CHECK (amount_cents >= 0),
    status      text        NOT NULL DEFAULT 'new',
    created_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO orders (customer, amount_cents, status, created_at)
SELECT 'customer-' || lpad((g % 97)::text, 3, '0'),
       (g * 7919) % 50000 + 99,
       (ARRAY['new', 'paid', 'shipped', 'cancelled'])[g % 4 + 1],
       timestamptz '2024-01-01 00:00:00+00' + g * interval '37 minutes'
FROM generate_series(1, 1000) AS g;

CREATE INDEX orders_customer_idx ON orders (customer);
