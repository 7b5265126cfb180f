package sim

// contendedTables are the tables ContendedTables lists.
var contendedTables = []string{"fct_workforce_snapshot", "fct_yearly_events", "int_comp_by_year"}

// ContendedTables lists the simulation's tables that a competing writer of the same file writes
// to contend with the simulation's own writes: the two accumulating fact tables every year
// appends to, and int_comp_by_year, the table each year rebuilds first for its event models. All
// three are written in every simulated year, so a writer that finds them finds them busy.
func ContendedTables() []string { return append([]string(nil), contendedTables...) }
