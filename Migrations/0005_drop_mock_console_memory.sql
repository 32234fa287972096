-- The mock console's memory leaves the product schema (issue 12): a console's memory lives with the console.
-- The in-process mock keeps it in process memory; the cloud simulator (`nianjian cloud serve`) keeps its
-- orders durably in its own state. Forward-only: the rows were the mock's bookkeeping, not the product's.
DROP TABLE IF EXISTS mock_console_submissions;
