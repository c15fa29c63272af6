//! Gaussian tail probabilities in log space, so that p-values far below `f64::MIN_POSITIVE`
//! are still reported exactly as confidences.

/// `log10(2 Q(|z|))`: the two-sided Gaussian tail, accurate to about 1e-7 relative.
pub fn log10_two_sided(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    // Numerical Recipes' erfc approximation, written out in logs.
    let t = 1.0 / (1.0 + 0.5 * x);
    let poly = -x * x - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    (t.ln() + poly) / std::f64::consts::LN_10
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert!((log10_two_sided(0.0) - 0.0).abs() < 1e-6);
        assert!((10f64.powf(log10_two_sided(1.96)) - 0.05).abs() < 1e-4);
        assert!((10f64.powf(log10_two_sided(3.0)) - 2.6998e-3).abs() < 1e-6);
        // 2Q(10) = 1.5239e-23
        assert!((log10_two_sided(10.0) - (-22.817)).abs() < 1e-2);
    }
}
