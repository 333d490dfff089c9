"""The value types a scenario file is written in: numbers (plain, percentages, observations,
distributions) and names and labels. Below the kinds and the scenario model, which both use them."""
