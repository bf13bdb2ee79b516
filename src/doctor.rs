//! `rand-guard doctor`: what this host offers and what the sensor would use.
