package sim

// contendedTables are the tables ContendedTables lists.
var contendedTables = []string{"fct_workforce_snapshot", "fct_yearly_events", "int_comp_by_year"}

// rebuiltTables are the contended tables that every year replaces whole (materialized=table).
var rebuiltTables = []string{"int_comp_by_year"}

// ContendedTables lists the simulation's tables that a competing writer of the same file writes
// to contend with the simulation's own writes: the two accumulating fact tables every year
// appends to, and int_comp_by_year, the table each year rebuilds first for its event models. All
// three are written in every simulated year, so a writer that finds them finds them busy.
func ContendedTables() []string { return append([]string(nil), contendedTables...) }

// RebuiltTables lists the contended tables that the simulation replaces whole every year
// (CREATE OR REPLACE TABLE). DuckDB's conflicts are per row and per catalog entry: appending
// rows never conflicts with a second connection's updates of other rows, but two transactions
// that both replace one table do, the way two threads building the same model do.
func RebuiltTables() []string { return append([]string(nil), rebuiltTables...) }
