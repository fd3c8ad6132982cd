/** The migrated database that every test database is copied from. */
export const TEMPLATE_DATABASE = "fp4kit_template";

/** Set by the global setup: the connection string of the template database. */
export const TEST_TEMPLATE_URL_ENV = "FP4KIT_TEST_TEMPLATE_URL";
