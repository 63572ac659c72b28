/**
 * A small property-based testing harness without JUnit dependencies: seeded generators ({@link
 * org.ratesim.testing.Gen}, {@link org.ratesim.testing.SnnGen}) with shrinking, and {@link
 * org.ratesim.testing.Property}, which checks "for all generated X, predicate(X)" and reports the seed, the try and
 * the shrunk counterexample of a failure.
 *
 * <pre>{@code
 * // For all generated x in [0, 10000], x < 100: fails, and shrinks to the counterexample 100.
 * Property.forAll("x < 100", Gen.integers(0, 10_000), x -> x < 100);
 * }</pre>
 */
package org.ratesim.testing;
