"""The project's tests, a regular package: a dependency that ships a top-level `tests`
package (evalys does) would otherwise shadow this namespace package and break
`from tests.clusters import ...`."""
