"""Istanbul's districts: where demo tickets are placed.

Centres sit inland of each district's shore and radii are small enough that a
point drawn within them lands on the district's built-up land, not in the
Bosphorus, the Golden Horn, the Marmara or a lake. Weights follow population
(thousands), so Esenyurt gets more reports than Şile.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

KM_PER_DEGREE_LAT = 111.32


@dataclass(frozen=True)
class District:
    name: str
    lat: float
    lon: float
    radius_km: float
    population_k: int
    neighbourhoods: tuple[str, ...]

    def random_point(self, rng: random.Random) -> tuple[float, float]:
        """(lat, lon) around the centre: a Gaussian spread cut off at the radius."""
        sigma = self.radius_km / 2
        while True:
            dx, dy = rng.gauss(0, sigma), rng.gauss(0, sigma)
            if dx * dx + dy * dy <= self.radius_km * self.radius_km:
                break
        lat = self.lat + dy / KM_PER_DEGREE_LAT
        lon = self.lon + dx / (KM_PER_DEGREE_LAT * math.cos(math.radians(self.lat)))
        return round(lat, 6), round(lon, 6)


def _d(
    name: str, lat: float, lon: float, radius_km: float, population_k: int, hoods: str
) -> District:
    return District(name, lat, lon, radius_km, population_k, tuple(hoods.split(", ")))


DISTRICTS: tuple[District, ...] = (
    _d("Esenyurt", 41.035, 28.675, 2.5, 980, "Cumhuriyet, Fatih, Mehterçeşme, Pınar, Saadetdere, Yenikent, Zafer, İncirtepe, Ardıçlı, Güzelyurt"),
    _d("Küçükçekmece", 41.015, 28.800, 1.8, 790, "Halkalı Merkez, Kemalpaşa, Cennet, Atakent, Fatih, İnönü, Tevfikbey, Yeşilova"),
    _d("Pendik", 40.900, 29.275, 2.5, 740, "Kaynarca, Kurtköy, Yenişehir, Çamçeşme, Bahçelievler, Esenyalı, Güzelyalı, Velibaba"),
    _d("Bağcılar", 41.039, 28.856, 1.5, 730, "Güneşli, Kirazlı, Yenimahalle, Mahmutbey, Demirkapı, Fatih, Evren, Yıldıztepe"),
    _d("Ümraniye", 41.025, 29.115, 2.2, 720, "Atakent, Çakmak, Esenevler, Ihlamurkuyu, İnkılap, Namık Kemal, Tantavi, Yukarı Dudullu, Site"),
    _d("Bahçelievler", 41.003, 28.855, 1.2, 590, "Yenibosna Merkez, Şirinevler, Kocasinan Merkez, Soğanlı, Siyavuşpaşa, Çobançeşme, Hürriyet, Zafer"),
    _d("Sultangazi", 41.107, 28.868, 1.5, 540, "Cebeci, Esentepe, Gazi, Habibler, Uğur Mumcu, Zübeyde Hanım, 50. Yıl"),
    _d("Üsküdar", 41.025, 29.050, 2.0, 520, "Altunizade, Kısıklı, Bulgurlu, Acıbadem, Ünalan, Bahçelievler, Kuzguncuk, Valide-i Atik, Sultantepe"),
    _d("Maltepe", 40.945, 29.140, 2.0, 520, "Bağlarbaşı, Cevizli, Feyzullah, Fındıklı, Girne, Gülsuyu, İdealtepe, Küçükyalı, Zümrütevler, Altayçeşme"),
    _d("Başakşehir", 41.095, 28.800, 2.5, 500, "Kayabaşı, Bahçeşehir 1. Kısım, Başak, Ziya Gökalp, Güvercintepe, Altınşehir, Şahintepe"),
    _d("Gaziosmanpaşa", 41.065, 28.910, 1.3, 490, "Karadeniz, Karayolları, Merkez, Sarıgöl, Yıldıztabya, Bağlarbaşı, Barbaros Hayrettin Paşa"),
    _d("Kartal", 40.905, 29.205, 1.8, 480, "Yakacık, Soğanlık, Uğur Mumcu, Cevizli, Kordonboyu, Atalar, Topselvi, Esentepe, Hürriyet"),
    _d("Kadıköy", 40.987, 29.062, 1.8, 480, "Caferağa, Osmanağa, Rasimpaşa, Fenerbahçe, Göztepe, Erenköy, Suadiye, Koşuyolu, Acıbadem, Feneryolu, Kozyatağı, Caddebostan"),
    _d("Sancaktepe", 41.000, 29.230, 1.8, 480, "Sarıgazi, Samandıra, Yenidoğan, Eyüp Sultan, Meclis, Osmangazi, Emek"),
    _d("Kağıthane", 41.085, 28.970, 1.5, 460, "Çağlayan, Gültepe, Seyrantepe, Sanayi, Hamidiye, Talatpaşa, Gürsel, Merkez"),
    _d("Avcılar", 40.990, 28.710, 1.5, 450, "Ambarlı, Cihangir, Denizköşkler, Firuzköy, Gümüşpala, Mustafa Kemal Paşa, Üniversite"),
    _d("Esenler", 41.043, 28.876, 1.2, 440, "Atışalanı, Davutpaşa, Fevzi Çakmak, Havaalanı, Kazım Karabekir, Menderes, Namık Kemal"),
    _d("Ataşehir", 40.990, 29.120, 1.6, 420, "Atatürk, Barbaros, Kayışdağı, Küçükbakkalköy, İçerenköy, Ferhatpaşa, Yenisahra, Örnek, Mustafa Kemal"),
    _d("Eyüpsultan", 41.080, 28.915, 1.5, 420, "Alibeyköy, Göktürk Merkez, Rami Cuma, Topçular, Nişancı, Karadolap, Akşemsettin"),
    _d("Beylikdüzü", 40.995, 28.645, 2.0, 400, "Adnan Kahveci, Barış, Cumhuriyet, Kavaklı, Marmara, Yakuplu, Dereağzı, Büyükşehir, Gürpınar"),
    _d("Fatih", 41.017, 28.948, 1.6, 370, "Aksaray, Balat, Zeyrek, Cerrahpaşa, Kocamustafapaşa, Cankurtaran, Şehremini, Topkapı, Molla Gürani, Karagümrük, Yedikule"),
    _d("Sultanbeyli", 40.965, 29.265, 1.4, 360, "Abdurrahmangazi, Battalgazi, Hasanpaşa, Mehmet Akif, Mecidiye, Necip Fazıl, Orhangazi"),
    _d("Sarıyer", 41.150, 29.020, 2.5, 340, "Maslak, Tarabya, Yeniköy, Emirgan, İstinye, Büyükdere, Rumelihisarı, Bahçeköy, Ferahevler, Reşitpaşa"),
    _d("Arnavutköy", 41.185, 28.740, 2.5, 330, "Anadolu, Bolluca, Hadımköy, Haraççı, İmrahor, Taşoluk, Mehmet Akif Ersoy"),
    _d("Güngören", 41.020, 28.875, 0.9, 290, "Merkez, Akıncılar, Haznedar, Tozkoparan, Mareşal Çakmak, Sanayi, Gençosman"),
    _d("Çekmeköy", 41.035, 29.185, 1.8, 290, "Alemdağ, Merkez, Mimar Sinan, Taşdelen, Ekşioğlu, Ömerli, Çatalmeşe"),
    _d("Zeytinburnu", 41.003, 28.905, 1.3, 280, "Kazlıçeşme, Merkezefendi, Seyitnizam, Telsiz, Veliefendi, Nuripaşa, Beştelsiz"),
    _d("Tuzla", 40.850, 29.320, 2.0, 280, "Aydınlı, Aydıntepe, İçmeler, Postane, Şifa, Mimar Sinan, Evliya Çelebi"),
    _d("Şişli", 41.060, 28.987, 1.8, 270, "Mecidiyeköy, Esentepe, Fulya, Teşvikiye, Harbiye, Feriköy, Kurtuluş, Bozkurt, Halaskargazi, Gülbahar"),
    _d("Bayrampaşa", 41.045, 28.905, 1.0, 270, "Kartaltepe, Kocatepe, Muratpaşa, Orta, Terazidere, Vatan, Yenidoğan"),
    _d("Büyükçekmece", 41.045, 28.520, 1.0, 270, "Mimaroba, Mimarsinan, Kumburgaz, Türkoba, Pınartepe, Cumhuriyet, Atatürk"),
    _d("Beykoz", 41.120, 29.125, 2.0, 250, "Kavacık, Çubuklu, Paşabahçe, Anadoluhisarı, Çiğdem, Rüzgarlıbahçe, Yalıköy"),
    _d("Beyoğlu", 41.040, 28.978, 1.0, 230, "Kemankeş, Kılıçali Paşa, Ömer Avni, Pürtelaş, Tomtom, Asmalımescit, Hacıahmet, Piyalepaşa, Kaptanpaşa"),
    _d("Bakırköy", 40.990, 28.860, 1.6, 220, "Ataköy 1. Kısım, Yeşilköy, Florya, Zeytinlik, Kartaltepe, Osmaniye, Cevizlik, Sakızağacı, Şenlikköy"),
    _d("Silivri", 41.085, 28.240, 1.2, 210, "Alibey, Piri Mehmet Paşa, Selimpaşa, Yeni, Mimar Sinan, Cumhuriyet, Semizkumlar"),
    _d("Beşiktaş", 41.068, 29.010, 2.0, 180, "Levent, Etiler, Bebek, Ortaköy, Sinanpaşa, Abbasağa, Dikilitaş, Yıldız, Balmumcu, Gayrettepe, Ulus"),
    _d("Çatalca", 41.143, 28.461, 1.5, 80, "Ferhatpaşa, Kaleiçi, Çakıl, İzzettin, Karacaköy, Binkılıç, Muratbey"),
    _d("Şile", 41.165, 29.615, 1.0, 40, "Balibey, Çavuş, Kumbaba, Hacı Kasım"),
)  # fmt: skip

DISTRICT_WEIGHTS: tuple[int, ...] = tuple(d.population_k for d in DISTRICTS)
