-- One database per department; Groundswell creates its tables on first start.
CREATE DATABASE eng;
CREATE DATABASE sales;
CREATE DATABASE hr;
