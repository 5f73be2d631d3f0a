/**
 * The demo data of the embedded database: a small shop (customers, products,
 * orders, order lines) with comments on every table, so that a fresh
 * `npm start` has something real to answer questions about. Generated with
 * deterministic arithmetic (no random()), so every install sees the same rows.
 */
export const DEMO_SEED_SQL = `
CREATE TABLE customers (
  id integer PRIMARY KEY,
  name text NOT NULL,
  email text NOT NULL UNIQUE,
  country text NOT NULL,
  created_at timestamptz NOT NULL
);
COMMENT ON TABLE customers IS 'People who have an account in the shop.';
COMMENT ON COLUMN customers.country IS 'ISO 3166-1 alpha-2 country code.';

CREATE TABLE products (
  id integer PRIMARY KEY,
  sku text NOT NULL UNIQUE,
  name text NOT NULL,
  category text NOT NULL,
  price numeric(10,2) NOT NULL CHECK (price >= 0),
  stock integer NOT NULL DEFAULT 0,
  attributes jsonb NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE products IS 'Things the shop sells.';
COMMENT ON COLUMN products.price IS 'Current unit price in EUR.';
COMMENT ON COLUMN products.attributes IS 'Free-form properties (colour, size, weight).';

CREATE TABLE orders (
  id integer PRIMARY KEY,
  customer_id integer NOT NULL REFERENCES customers(id),
  status text NOT NULL CHECK (status IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled')),
  ordered_at timestamptz NOT NULL
);
COMMENT ON TABLE orders IS 'One checkout by a customer.';
CREATE INDEX orders_customer_id_idx ON orders (customer_id);
CREATE INDEX orders_ordered_at_idx ON orders (ordered_at);

CREATE TABLE order_items (
  order_id integer NOT NULL REFERENCES orders(id),
  product_id integer NOT NULL REFERENCES products(id),
  quantity integer NOT NULL CHECK (quantity > 0),
  unit_price numeric(10,2) NOT NULL,
  PRIMARY KEY (order_id, product_id)
);
COMMENT ON TABLE order_items IS 'The lines of an order; unit_price is the price paid at the time.';

CREATE VIEW order_totals AS
  SELECT o.id AS order_id, o.customer_id, o.status, o.ordered_at, sum(i.quantity * i.unit_price) AS total
  FROM orders o JOIN order_items i ON i.order_id = o.id
  GROUP BY o.id;
COMMENT ON VIEW order_totals IS 'Each order with the sum of its lines.';

INSERT INTO customers
SELECT g,
  (ARRAY['Ada','Grace','Alan','Edsger','Barbara','Donald','Margaret','Ken','Radia','Linus'])[1 + g % 10] || ' ' ||
  (ARRAY['Lovelace','Hopper','Turing','Dijkstra','Liskov','Knuth','Hamilton','Thompson','Perlman','Torvalds','Ritchie','Kay'])[1 + (g * 7) % 12],
  'customer' || g || '@example.com',
  (ARRAY['DE','FR','US','GB','NL','SE','JP','BR','IN','ES'])[1 + (g * 3) % 10],
  timestamptz '2024-01-01 00:00:00+00' + (g * 37 % 600) * interval '1 day' + (g % 24) * interval '1 hour'
FROM generate_series(1, 200) g;

INSERT INTO products
SELECT g,
  'SKU-' || lpad(g::text, 4, '0'),
  (ARRAY['Desk lamp','Notebook','Fountain pen','Backpack','Coffee mug','Keyboard','Headphones','Water bottle','Chair','Monitor stand'])[1 + g % 10] || ' ' ||
  (ARRAY['Classic','Pro','Mini','Max','Eco'])[1 + g % 5],
  (ARRAY['home','office','office','travel','home','electronics','electronics','travel','furniture','furniture'])[1 + g % 10],
  round((5 + (g * 53 % 250) + (g % 100) / 100.0)::numeric, 2),
  (g * 17) % 120,
  jsonb_build_object('colour', (ARRAY['black','white','red','blue','green'])[1 + g % 5], 'weight_g', 100 + (g * 29) % 2000)
FROM generate_series(1, 60) g;

INSERT INTO orders
SELECT g,
  1 + (g * 31) % 200,
  (ARRAY['delivered','delivered','delivered','shipped','paid','pending','cancelled'])[1 + (g * 11) % 7],
  timestamptz '2025-01-01 00:00:00+00' + (g * 13 % 330) * interval '1 day' + (g * 7 % 1440) * interval '1 minute'
FROM generate_series(1, 1000) g;

INSERT INTO order_items
SELECT o, p, 1 + (o + p) % 4, products.price
FROM generate_series(1, 1000) o
CROSS JOIN LATERAL (SELECT DISTINCT 1 + (o * k * 7 + k) % 60 AS p FROM generate_series(1, 1 + o % 4) k) lines
JOIN products ON products.id = lines.p;

ANALYZE;
`;
