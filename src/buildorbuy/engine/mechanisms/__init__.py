"""The cost mechanisms: one pure function per way money is spent, composed by `engine.core.evaluate`.

Each takes the shared `Context` (months, workload, parameters), the path's `PathContext` (keys,
go-live, success weights) and whatever an earlier mechanism computed for it, and returns `Costs`
(component name → [batch or 1, month] array, or `OneMonth`). Each docstring states its equation
(DESIGN §2).

- api_fees: per-token fees of an api path; a managed fine-tune's fees and switch-over
- bridge: the bridge path's per-token fees while a path is not (or no longer) serving, and its staff after a failure
- compute: training / fine-tune run (GPU-hours, months of wall-clock, go-live) and refreshes
- serving: rented fleet sizing and rent
- owned: purchases, power and hosting, residual credit of an owned fleet
- staff, data

A new mechanism is a new function returning `Costs` with its components, called from
`engine.core._path_costs` (or `_self_hosted`); new component names go in `engine.core.COMPONENTS`.
The order of the `ledger.add` calls fixes the floating-point summation order, so appending a
mechanism leaves existing figures bit-for-bit unchanged. Where upcoming terms fit (DESIGN §2b):
API modifiers and fixed fees are in `api_fees` (the bridge charges its fixed fees through `bridge`); fallback fees sit beside `bridge`; autoscaled and
reserved fleets return their costs from `serving` given an hour-level load on `Context`; owned
terms extend `owned`; a path's `start_month` belongs on `PathContext`.
"""
