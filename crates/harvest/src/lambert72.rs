//! Belgian Lambert 72 (EPSG:31370) to WGS84, for sources that place their sensors in the
//! national grid. The datum shift is EPSG's seven-parameter Helmert transform BD72 → WGS84
//! (EPSG:15929), as in the EPSG:31370 definition; its accuracy is about one metre.

use belfort_model::Point;
use proj4rs::proj::Proj;

/// EPSG:31370 as a PROJ string: Lambert conformal conic on the International 1924 ellipsoid.
const LAMBERT_72: &str = "+proj=lcc +lat_0=90 +lon_0=4.36748666666667 \
     +lat_1=51.1666672333333 +lat_2=49.8333339 +x_0=150000.013 +y_0=5400088.438 \
     +ellps=intl +towgs84=-106.8686,52.2978,-103.7239,0.3366,-0.457,1.8422,-1.2747 \
     +units=m +no_defs";

const WGS84: &str = "+proj=longlat +datum=WGS84 +no_defs";

/// The two projections, set up once per payload.
pub(crate) struct Lambert72 {
    grid: Option<(Proj, Proj)>,
}

impl Lambert72 {
    pub(crate) fn new() -> Self {
        let grid = Proj::from_proj_string(LAMBERT_72)
            .ok()
            .zip(Proj::from_proj_string(WGS84).ok());
        Self { grid }
    }

    /// The WGS84 point of grid coordinates `x` (east) and `y` (north) in metres.
    pub(crate) fn to_wgs84(&self, x: f64, y: f64) -> Result<Point, String> {
        let (from, to) = self
            .grid
            .as_ref()
            .ok_or("the Lambert 72 projection could not be set up")?;
        let mut point = (x, y, 0.0);
        proj4rs::transform::transform(from, to, &mut point)
            .map_err(|e| format!("Lambert 72 ({x}, {y}) cannot be converted to WGS84: {e}"))?;
        let (lon, lat) = (point.0.to_degrees(), point.1.to_degrees());
        if lon.is_finite() && lat.is_finite() {
            Ok(Point { lon, lat })
        } else {
            Err(format!("Lambert 72 ({x}, {y}) has no WGS84 position"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Lambert72;

    #[test]
    fn grid_points_land_where_the_epsg_transform_puts_them() {
        // Reference values from PROJ (pyproj, EPSG:31370 → EPSG:4326).
        let lambert = Lambert72::new();
        let cases = [
            (
                (153_039.0, 174_223.0),
                (4.411_933_566_646_978, 50.878_365_659_479_115),
            ),
            (
                (144_477.058_694, 208_290.667_991),
                (4.289_767_347, 51.184_581_96),
            ),
        ];
        for ((x, y), (lon, lat)) in cases {
            let point = lambert.to_wgs84(x, y).unwrap_or_else(|e| panic!("{e}"));
            assert!((point.lon - lon).abs() < 1e-7, "{point:?}");
            assert!((point.lat - lat).abs() < 1e-7, "{point:?}");
        }
    }
}
