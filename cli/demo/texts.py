"""What demo citizens and staff write: names, report descriptions per category,
comments, escalation reasons and feedback, mostly Turkish with some English.

Descriptions are built from an opening, a category sentence with a street or a
landmark, and a closing, which gives thousands of distinct, plausible texts.
"""

from __future__ import annotations

import random

FIRST_NAMES = (
    "Ahmet", "Mehmet", "Mustafa", "Ali", "Hüseyin", "Hasan", "İbrahim", "Murat", "Emre",
    "Burak", "Yusuf", "Ömer", "Osman", "Kemal", "Serkan", "Onur", "Can", "Barış", "Oğuz",
    "Volkan", "Eren", "Kerem", "Tolga", "Cem", "Selim", "Hakan", "Fatih", "Ercan", "Deniz",
    "Ayşe", "Fatma", "Emine", "Hatice", "Zeynep", "Elif", "Merve", "Esra", "Özlem", "Derya",
    "Gül", "Sevgi", "Büşra", "Seda", "Ebru", "Aslı", "Pınar", "Selin", "Cansu", "Gizem",
    "Tuğba", "Melek", "Hülya", "Nur", "Yasemin", "Dilek", "Şule", "İrem", "Ceren", "Damla",
)  # fmt: skip

SURNAMES = (
    "Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Yıldırım", "Öztürk", "Aydın",
    "Özdemir", "Arslan", "Doğan", "Kılıç", "Aslan", "Çetin", "Kara", "Koç", "Kurt", "Özkan",
    "Şimşek", "Polat", "Özcan", "Korkmaz", "Çakır", "Erdoğan", "Yavuz", "Can", "Acar",
    "Şen", "Aktaş", "Güler", "Yalçın", "Güneş", "Bozkurt", "Bulut", "Keskin", "Ünal",
    "Turan", "Gül", "Özer", "Işık", "Kaplan", "Avcı", "Sarı", "Tekin", "Taş", "Karaca",
    "Uçar", "Erdem", "Ateş", "Tunç", "Başaran", "Sezer", "Akın", "Duman", "Coşkun",
)  # fmt: skip

STREETS = (
    "Atatürk Caddesi", "Cumhuriyet Caddesi", "İnönü Caddesi", "Fevzi Çakmak Caddesi",
    "Mimar Sinan Caddesi", "Gazi Osman Paşa Caddesi", "Yunus Emre Sokak", "Lale Sokak",
    "Gül Sokak", "Menekşe Sokak", "Papatya Sokak", "Çınar Sokak", "Akasya Sokak",
    "Manolya Sokak", "Zambak Sokak", "Söğüt Sokak", "Okul Sokak", "Cami Sokak", "Pazar Sokak",
    "Fırın Sokak", "Bahar Sokak", "Kardelen Sokak", "Nergis Sokak", "Erguvan Sokak",
    "Leylak Sokak", "Ihlamur Sokak", "Begonya Sokak", "Sedef Sokak", "İstiklal Caddesi",
    "Bağdat Caddesi", "Barbaros Bulvarı", "Halaskargazi Caddesi", "Vatan Caddesi",
    "Fatih Sultan Mehmet Bulvarı", "Şehit Er Sokak", "Kıbrıs Caddesi", "Mektep Sokak",
)  # fmt: skip

# Landmarks in the genitive case, so a template can say "{place} önünde".
PLACES_TR = (
    "okulun", "caminin", "parkın", "marketin", "eczanenin", "otobüs durağının",
    "sağlık ocağının", "fırının", "metro çıkışının", "muhtarlığın", "pazar yerinin",
    "hastanenin", "kreşin", "spor salonunun", "postanenin", "sitenin",
)  # fmt: skip
PLACES_EN = (
    "the school", "the mosque", "the park", "the supermarket", "the pharmacy",
    "the bus stop", "the health centre", "the bakery", "the metro exit", "the market place",
)  # fmt: skip

DURATIONS_TR = ("iki gündür", "bir haftadır", "üç gündür", "aylardır", "dünden beri", "on gündür")
DURATIONS_EN = ("two days", "a week", "three days", "months", "ten days", "over a month")

OPENINGS_TR = (
    "",
    "",
    "",
    "Merhaba, ",
    "İyi günler, ",
    "Merhabalar, ",
    "Selamlar, ",
    "Sayın yetkili, ",
)
CLOSINGS_TR = (
    "", "", " Lütfen acil ilgilenin.", " Geçen hafta da bildirmiştim.",
    " Çocuklar okula buradan geçiyor.", " Yardımcı olursanız seviniriz.",
    " Fotoğrafını da gönderdim.", " Yaşlılar için çok tehlikeli.", " Teşekkürler.",
    " Bir an önce çözülmesini rica ediyorum.", " Mahalleli olarak bekliyoruz.",
)  # fmt: skip
OPENINGS_EN = ("", "", "Hello, ", "Hi, ", "Good morning, ")
CLOSINGS_EN = (
    "", "", " Please fix it soon.", " I reported this last week as well.",
    " Children walk past here every day.", " Thank you.", " It is really dangerous.",
)  # fmt: skip

DESCRIPTIONS_TR: dict[str, tuple[str, ...]] = {
    "infrastructure": (
        "{street} üzerinde büyük bir çukur var, araçlar zarar görüyor.",
        "{place} önündeki kaldırım taşları yerinden çıkmış, yayalar düşüyor.",
        "{street} üzerinde su borusu patlamış, yol sular altında.",
        "{place} yakınında rögar kapağı açık duruyor, çok tehlikeli.",
        "{street} asfaltı çökmüş, {duration} böyle.",
        "Kanalizasyon taşıyor, {place} çevresinde çok kötü bir koku var.",
        "Yağmurdan sonra {street} göle dönüyor, mazgallar tıkalı.",
        "{street} kazıldı ama kapatılmadı, {duration} çukur açık bekliyor.",
        "{place} önündeki rampa kırık, tekerlekli sandalye geçemiyor.",
        "Sokağımızda {duration} su kesik, arıza olabilir.",
    ),
    "traffic": (
        "{street} kavşağındaki trafik lambası {duration} yanıp sönüyor.",
        "{place} önündeki yaya geçidinin çizgileri silinmiş, görünmüyor.",
        "{street} üzerindeki dur tabelası devrilmiş.",
        "{place} önüne sürekli araç park ediliyor, otobüs geçemiyor.",
        "{street} üzerinde hız kesici yok, araçlar çok hızlı geçiyor.",
        "{street} girişindeki yön tabelası yanlış yeri gösteriyor.",
        "Trafik ışıkları {place} önünde çalışmıyor, kaza riski var.",
        "{street} üzerindeki yol çizgileri tamamen silinmiş.",
    ),
    "lighting": (
        "{street} üzerindeki sokak lambaları {duration} yanmıyor.",
        "{place} yanındaki aydınlatma direği eğilmiş, düşecek gibi.",
        "Parkın ışıkları geceleri yanmıyor, {place} çevresi zifiri karanlık.",
        "{street} üzerinde bir lamba gün boyu yanık kalıyor.",
        "{place} önündeki direğin kapağı açık, kablolar dışarıda.",
        "Sokağımızdaki lambalar {duration} yanıp sönüyor.",
        "{street} alt geçidi karanlık, akşamları kimse geçemiyor.",
    ),
    "waste": (
        "{place} yanındaki çöp konteyneri taşmış, {duration} alınmadı.",
        "{street} üzerine moloz dökülmüş, yol kapandı.",
        "Çöpler {duration} toplanmadı, {place} çevresi çok kötü kokuyor.",
        "{place} önündeki geri dönüşüm kutusu kırık.",
        "{street} üzerinde kaçak döküm yapılıyor, eşyalar bırakılmış.",
        "Konteynerin kapağı kırık, sokak köpekleri çöpü dağıtıyor ({street}).",
        "{place} arkasında çöp yığını oluştu, fareler görülüyor.",
        "Pazar kurulduktan sonra {street} temizlenmiyor.",
    ),
    "parks": (
        "{place} yanındaki parkta salıncak kırık, çocuklar için tehlikeli.",
        "Parktaki ağaç devrilmek üzere, {street} tarafına eğildi.",
        "Park çimleri {duration} biçilmedi, bankların yanı çalılık oldu.",
        "{street} üzerindeki ağaç dalları elektrik tellerine değiyor.",
        "Oyun alanının zemini bozulmuş, {place} yakınındaki parkta.",
        "Parktaki çeşme {duration} akıyor, su israf oluyor.",
        "Parkın bankları kırılmış ve boyaları dökülmüş.",
    ),
    "other": (
        "{place} çevresinde sokak köpekleri saldırganlaştı, yardım istiyoruz.",
        "{street} üzerinde gece boyunca gürültü yapılıyor.",
        "{place} önündeki duvarlara yazılar yazılmış.",
        "Terk edilmiş bir araç {duration} {street} üzerinde duruyor.",
        "{place} yakınında kaldırımı işgal eden tezgahlar var.",
        "{street} üzerindeki metruk bina tehlike oluşturuyor.",
    ),
}

DESCRIPTIONS_EN: dict[str, tuple[str, ...]] = {
    "infrastructure": (
        "There is a big pothole on {street}; cars are getting damaged.",
        "The pavement near {place} is broken and people keep tripping.",
        "A water pipe burst on {street}, the road is flooded.",
        "A manhole cover near {place} has been open for {duration}.",
    ),
    "traffic": (
        "The traffic light at the {street} junction has been blinking for {duration}.",
        "The zebra crossing in front of {place} has faded away.",
        "Cars park on the bus lane next to {place} every day.",
    ),
    "lighting": (
        "The street lights on {street} have been out for {duration}.",
        "A lamp post next to {place} is leaning and may fall.",
        "The underpass on {street} is completely dark at night.",
    ),
    "waste": (
        "The bin next to {place} is overflowing; not collected for {duration}.",
        "Someone dumped building rubble on {street}.",
        "Rubbish has not been collected for {duration} near {place}.",
    ),
    "parks": (
        "A swing is broken in the playground near {place}.",
        "A tree in the park is leaning towards {street} and may fall.",
        "The grass in the park has not been cut for {duration}.",
    ),
    "other": (
        "Stray dogs near {place} have become aggressive.",
        "An abandoned car has been parked on {street} for {duration}.",
        "Loud noise on {street} every night.",
    ),
}

STAFF_NOTES = (
    "Saha ekibine iletildi.", "Ekip yönlendirildi, yarın sabah kontrol edilecek.",
    "Konum doğrulandı, iş emri açıldı.", "Malzeme bekleniyor.",
    "Yüklenici firmaya bildirildi.", "Benzer bir kayıt var, kontrol ediyorum.",
    "İlçe belediyesiyle görüşüldü.", "Keşif yapıldı, onarım planlandı.",
    "Vatandaş arandı, ek bilgi alındı.", "Öncelik yükseltildi, okul yakınında.",
)  # fmt: skip
PUBLIC_REPLIES_TR = (
    "Bildiriminiz ilgili ekibimize iletilmiştir.", "Ekibimiz en kısa sürede bölgede olacaktır.",
    "Talebiniz inceleniyor, bilgi vereceğiz.", "Konum için teşekkürler, ekip yönlendirildi.",
)  # fmt: skip
PUBLIC_REPLIES_EN = (
    "Your report has been passed to our team.", "Our crew will be on site shortly.",
    "We are looking into it and will keep you posted.",
)  # fmt: skip
RESOLVED_TR = (
    "Sorun giderilmiştir, bildiriminiz için teşekkür ederiz.", "Onarım tamamlandı.",
    "Ekibimiz gerekli çalışmayı yaptı.", "Arıza giderildi, iyi günler dileriz.",
)  # fmt: skip
RESOLVED_EN = ("The problem has been fixed, thank you for reporting it.", "Repair completed.")
CITIZEN_FOLLOW_UPS = (
    "Hâlâ aynı durumda, kimse gelmedi.", "Ne zaman gelinecek?", "Durum daha da kötüleşti.",
    "Teşekkürler, bekliyoruz.", "Fotoğraf ekledim, bakabilir misiniz?",
)  # fmt: skip

ESCALATION_REASONS = (
    "Bütçe onayı gerekiyor.", "Büyük onarım, ekip kapasitesi yetmiyor.",
    "Başka kurumun sorumluluğunda olabilir (İSKİ/BEDAŞ).", "Tekrarlayan şikâyet, kalıcı çözüm lazım.",
    "İş makinesi gerekiyor.", "Güvenlik riski var, acil müdahale onayı isteniyor.",
)  # fmt: skip
DECISION_NOTES = {
    "approved": ("Onaylandı, ek ekip ayrıldı.", "Bütçe onaylandı.", "Uygun, devam edin."),
    "rejected": (
        "Ekip kendi kaynaklarıyla çözmeli.",
        "Yeterli gerekçe yok.",
        "Önce keşif yapılsın.",
    ),
}
FEEDBACK_GOOD = (
    "Çok hızlı çözüldü, teşekkürler!", "Ellerinize sağlık.", "Memnun kaldım.",
    "Great, thanks!", "Güzel iş, teşekkürler.",
)  # fmt: skip
FEEDBACK_BAD = (
    "Sorun çözülmedi, hâlâ aynı.", "Yarım bırakıldı.", "Çok geç geldiler.",
    "Not fixed at all.", "Geçici bir çözüm yapıldı, yine bozuldu.",
)  # fmt: skip


def full_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"


def description(rng: random.Random, category: str, locale: str) -> str:
    """A citizen's report for `category` (a default category code) in `locale`."""
    code = category if category in DESCRIPTIONS_TR else "other"
    if locale == "en":
        templates, openings, closings = DESCRIPTIONS_EN, OPENINGS_EN, CLOSINGS_EN
        places, durations = PLACES_EN, DURATIONS_EN
    else:
        templates, openings, closings = DESCRIPTIONS_TR, OPENINGS_TR, CLOSINGS_TR
        places, durations = PLACES_TR, DURATIONS_TR
    template = rng.choice(templates[code])
    opening = rng.choice(openings)
    if opening and not template.startswith("{"):
        # After "Merhaba, " the sentence goes on in lower case (street names keep theirs).
        template = _lower_first(template)
    body = template.format(
        street=rng.choice(STREETS), place=rng.choice(places), duration=rng.choice(durations)
    )
    return _upper_first(opening + body + rng.choice(closings))


def _lower_first(text: str) -> str:
    return {"I": "ı", "İ": "i"}.get(text[0], text[0].lower()) + text[1:]


def _upper_first(text: str) -> str:
    return {"i": "İ", "ı": "I"}.get(text[0], text[0].upper()) + text[1:]


def address(rng: random.Random, district: str, neighbourhood: str) -> str:
    return (
        f"{neighbourhood} Mah., {rng.choice(STREETS)} No:{rng.randint(1, 180)}, {district}/İstanbul"
    )
