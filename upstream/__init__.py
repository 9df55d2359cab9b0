"""HTTP clients for the systems FleetOps drives. No Django models here: plain data in and out."""
